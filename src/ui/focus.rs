//! The keypad's focus: every control of a rendered screen in reading order (the header's
//! toggles, the page's controls, the footer's), the one the focus is on, and what Enter on
//! it does. The controller keeps only how many steps the member moved from the page's
//! first control ([`crate::kiosk::Access::focus`]); the screen decides what is there.
//!
//! Each control's `id` is the `fid` of its widget in `ui/`, which draws the focus ring when
//! `Kiosk.focus` names it; its `label` is the widget's accessible label (the UI tests find
//! each control on screen by it).

use super::view::{KioskView, ListKindData, PageKind};
use crate::domain::Lang;
use crate::kiosk::{Event, IdKind, MemberAction, SearchFilter, Tile};

/// One control the focus can rest on.
#[derive(Debug, Clone)]
pub struct Control {
    /// The widget's `fid`.
    pub id: String,
    /// The widget's accessible label, as shown.
    pub label: String,
    /// What speech says when the focus arrives (the label, with more where it helps).
    pub spoken: String,
    /// What Enter does; `None` moves the focus on (a text box: letters type into it).
    pub event: Option<Event>,
    pub enabled: bool,
}

impl Control {
    fn new(id: impl Into<String>, label: impl Into<String>, event: Event) -> Self {
        let label = label.into();
        Self {
            id: id.into(),
            spoken: label.clone(),
            label,
            event: Some(event),
            enabled: true,
        }
    }

    fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    fn spoken(mut self, spoken: impl Into<String>) -> Self {
        self.spoken = spoken.into();
        self
    }
}

/// A screen's controls in reading order, and where the focus starts (the page's first
/// control, or the footer's when the page has none; on the identify screen the field being
/// typed into).
#[derive(Debug, Clone)]
pub struct Controls {
    pub list: Vec<Control>,
    pub start: usize,
}

impl Controls {
    /// The control `steps` away from the start, wrapping at both ends.
    pub fn at(&self, steps: i32) -> Option<&Control> {
        let n = i64::try_from(self.list.len()).ok().filter(|&n| n > 0)?;
        let i = (i64::try_from(self.start).ok()? + i64::from(steps)).rem_euclid(n);
        self.list.get(usize::try_from(i).ok()?)
    }
}

/// The controls of the screen `v` shows.
pub fn controls(v: &KioskView) -> Controls {
    let lang = if v.english { Lang::En } else { Lang::Id };
    let mut list = vec![
        Control::new(
            "lang",
            if v.english {
                "Bahasa Indonesia"
            } else {
                "English"
            },
            Event::ToggleLang,
        ),
        Control::new("large-text", lang.tr("Teks besar"), Event::ToggleLargeText),
        Control::new("contrast", lang.tr("Kontras"), Event::ToggleContrast),
    ];
    let start = list.len();
    match v.page {
        PageKind::Home => {
            let tiles = [
                (Tile::Status, "tile-status", "Cek Status"),
                (Tile::Dues, "tile-dues", "Cek Tagihan"),
                (Tile::Va, "tile-va", "Info Virtual Account"),
                (Tile::Info, "tile-info", "Info JKN"),
                (Tile::Search, "tile-search", "Cari Faskes & Kantor"),
                (Tile::ChangeFktp, "tile-fktp", "Ubah FKTP"),
                (Tile::ChangeKelas, "tile-kelas", "Ubah Kelas"),
                (Tile::Queue, "tile-queue", "Ambil Antrean"),
                (Tile::Request, "tile-request", "Cek Permohonan"),
            ];
            for (tile, id, label) in tiles {
                list.push(Control::new(
                    id,
                    lang.tr(label).to_owned(),
                    Event::Tile(tile),
                ));
            }
        }
        PageKind::Identify => {
            list.push(Control::new("id-nik", "NIK", Event::IdKind(IdKind::Nik)));
            list.push(Control::new(
                "id-card",
                lang.tr("Nomor Kartu JKN"),
                Event::IdKind(IdKind::Card),
            ));
            let id_label = if v.id_is_nik {
                lang.tr("NIK (16 angka, lihat KTP)").to_owned()
            } else {
                lang.tr("Nomor kartu JKN (13 angka)").to_owned()
            };
            list.push(Control::new("id-field", id_label, Event::Submit));
            list.push(Control::new(
                "dob-field",
                lang.tr("Tanggal lahir (hari-bulan-tahun)"),
                Event::Submit,
            ));
            list.push(
                Control::new("continue", lang.tr("Lanjut"), Event::Submit).enabled(v.id_ready),
            );
        }
        PageKind::MemberHome => {
            use MemberAction as M;
            for (id, label, action) in [
                ("member-dues", lang.tr("Rincian tagihan"), M::Dues),
                (
                    "member-status",
                    lang.tr("Rincian status & keluarga"),
                    M::Status,
                ),
                ("member-fktp", lang.tr("Ubah FKTP"), M::ChangeFktp),
                ("member-kelas", lang.tr("Ubah kelas"), M::ChangeKelas),
            ] {
                list.push(Control::new(id, label, Event::Member(action)));
            }
            list.push(
                Control::new(
                    "member-va",
                    lang.tr("Info Virtual Account"),
                    Event::Member(M::Va),
                )
                .enabled(v.member_va),
            );
            list.push(Control::new(
                "print",
                lang.tr("Cetak ringkasan"),
                Event::Print,
            ));
            list.push(
                Control::new(
                    "member-ticket",
                    v.member_ticket.clone(),
                    Event::Member(M::Ticket),
                )
                .enabled(!v.member_ticket.is_empty()),
            );
            list.push(Control::new("done", lang.tr("Selesai"), Event::Done));
        }
        PageKind::Result => {
            if v.can_confirm {
                list.push(Control::new("cancel", lang.tr("Batal"), Event::Done));
            }
            if v.can_print {
                list.push(Control::new("print", lang.tr("Cetak"), Event::Print));
            }
            if v.can_confirm {
                list.push(Control::new(
                    "confirm",
                    v.confirm_label.clone(),
                    Event::Confirm,
                ));
            } else {
                list.push(Control::new("done", lang.tr("Selesai"), Event::Done));
            }
        }
        PageKind::List => {
            if v.show_priority {
                let label = if v.priority {
                    lang.tr("✓ Antrean prioritas: lansia, disabilitas, ibu hamil")
                        .to_owned()
                } else {
                    lang.tr("Antrean prioritas (lansia, disabilitas, ibu hamil)")
                        .to_owned()
                };
                list.push(Control::new("priority", label, Event::TogglePriority));
            }
            for (i, item) in v.items.iter().enumerate() {
                let event = match v.list_kind {
                    ListKindData::Services => Event::TakeTicket(i),
                    ListKindData::Articles => Event::OpenArticle(i),
                    ListKindData::Fktp => Event::ChooseFacility(i),
                    ListKindData::Kelas => {
                        Event::ChooseKelas(u8::try_from(i + 1).unwrap_or(u8::MAX))
                    }
                };
                list.push(item_control(i, item, event));
            }
        }
        PageKind::Article => {}
        PageKind::Search => {
            list.push(Control {
                id: "search-box".into(),
                label: lang.tr("Kata pencarian").to_owned(),
                spoken: if v.search_text.is_empty() {
                    lang.tr("Kata pencarian").to_owned()
                } else {
                    format!(
                        "{}: {}",
                        lang.tr("Kata pencarian").to_owned(),
                        v.search_text
                    )
                },
                event: None,
                enabled: true,
            });
            let filters = [
                (SearchFilter::All, "filter-all", lang.tr("Semua").to_owned()),
                (SearchFilter::Fktp, "filter-fktp", "FKTP".to_owned()),
                (
                    SearchFilter::Hospital,
                    "filter-hospital",
                    lang.tr("Rumah sakit").to_owned(),
                ),
                (
                    SearchFilter::Pharmacy,
                    "filter-pharmacy",
                    lang.tr("Apotek").to_owned(),
                ),
                (
                    SearchFilter::Optic,
                    "filter-optic",
                    lang.tr("Optik").to_owned(),
                ),
                (
                    SearchFilter::Office,
                    "filter-office",
                    lang.tr("Kantor BPJS").to_owned(),
                ),
            ];
            for (filter, id, label) in filters {
                let chosen = filter == v.search_filter;
                let spoken = if chosen {
                    format!("{label}, {}", lang.tr("dipilih").to_owned())
                } else {
                    label.clone()
                };
                list.push(Control::new(id, label, Event::SearchFilter(filter)).spoken(spoken));
            }
            for (i, item) in v.items.iter().enumerate() {
                list.push(item_control(i, item, Event::OpenResult(i)));
            }
        }
        PageKind::Ticket => {
            list.push(Control::new("print", lang.tr("Cetak ulang"), Event::Print));
            list.push(Control::new("done", lang.tr("Selesai"), Event::Done));
        }
        PageKind::RequestCheck => {
            list.push(Control {
                id: "reference-box".into(),
                label: lang.tr("Nomor permohonan").to_owned(),
                spoken: lang.tr("Nomor permohonan").to_owned(),
                event: Some(Event::Submit),
                enabled: true,
            });
            list.push(
                Control::new("check", lang.tr("Cek"), Event::Submit)
                    .enabled(!v.reference_text.is_empty()),
            );
        }
        PageKind::Rating => {
            for n in 1..=5u8 {
                list.push(
                    Control::new(format!("rate-{n}"), format!("{n} ★"), Event::Rate(n))
                        .spoken(lang.tr_with("{n} bintang", &[("n", &n)])),
                );
            }
            list.push(Control::new("skip", lang.tr("Lewati"), Event::Done));
        }
        PageKind::Thanks => list.push(Control::new(
            "done",
            lang.tr("Kembali ke awal"),
            Event::Done,
        )),
    }
    let page_end = list.len();
    if v.page != PageKind::Home {
        list.push(Control::new("back", lang.tr("Kembali"), Event::Back));
        list.push(Control::new("home", lang.tr("Beranda"), Event::Home));
    }
    // The identify screen starts on the field digits type into (the number, then the date
    // of birth as the form moves on), so the focus follows the typing.
    let first = match v.page {
        PageKind::Identify => {
            let field = if v.dob_focused {
                "dob-field"
            } else {
                "id-field"
            };
            list.iter().position(|c| c.id == field)
        }
        _ => None,
    };
    Controls {
        start: first.unwrap_or(if page_end > start { start } else { page_end }),
        list,
    }
}

/// A list entry: its title is its label; speech adds the line under it.
fn item_control(i: usize, item: &super::view::ItemData, event: Event) -> Control {
    let mut spoken = item.title.clone();
    for more in [&item.subtitle, &item.badge] {
        if !more.is_empty() {
            spoken = format!("{spoken}. {more}");
        }
    }
    Control::new(format!("item-{i}"), item.title.clone(), event)
        .spoken(spoken)
        .enabled(item.enabled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(page: PageKind) -> KioskView {
        let mut v = KioskView::empty(Lang::Id);
        v.page = page;
        v
    }

    #[test]
    fn the_home_screen_starts_on_its_first_tile_and_wraps_both_ways() {
        let c = controls(&view(PageKind::Home));
        assert_eq!(c.at(0).unwrap().id, "tile-status");
        assert_eq!(c.at(1).unwrap().id, "tile-dues");
        // Up from the first tile: the header's last toggle; down from the last tile: the
        // header's first (the home screen has no footer).
        assert_eq!(c.at(-1).unwrap().id, "contrast");
        assert_eq!(c.at(9).unwrap().id, "lang");
        assert_eq!(c.at(12).unwrap().id, "tile-status");
        assert_eq!(c.at(-13).unwrap().id, "contrast");
    }

    #[test]
    fn a_page_without_controls_starts_on_the_footer() {
        let c = controls(&view(PageKind::Article));
        assert_eq!(c.at(0).unwrap().id, "back");
        assert_eq!(c.at(1).unwrap().id, "home");
    }

    #[test]
    fn identify_starts_on_the_number_and_its_continue_waits_for_the_form() {
        let mut v = view(PageKind::Identify);
        v.id_is_nik = true;
        let c = controls(&v);
        assert_eq!(c.at(0).unwrap().id, "id-field");
        assert_eq!(c.at(0).unwrap().label, "NIK (16 angka, lihat KTP)");
        assert!(
            !c.at(2).unwrap().enabled,
            "Lanjut before the form is complete"
        );
        v.id_ready = true;
        assert!(controls(&v).at(2).unwrap().enabled);
    }

    #[test]
    fn labels_follow_the_language() {
        let mut v = view(PageKind::Ticket);
        v.english = true;
        let c = controls(&v);
        let labels: Vec<&str> = c.list.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Bahasa Indonesia",
                "Large text",
                "Contrast",
                "Print again",
                "Done",
                "Back",
                "Home"
            ]
        );
    }
}
