//! Search (`SearchAdapter`): the text typed, the filter, the places found.

use slint::ComponentHandle;

use super::list_adapter::{index, item};
use super::view::{KioskView, PageKind};
use super::{AppWindow, Filter, SearchAdapter, forward, model, s};
use crate::kiosk::{Event, SearchFilter};

pub(super) fn apply(window: &AppWindow, v: &KioskView) {
    let a = window.global::<SearchAdapter>();
    a.set_search_text(s(&v.search_text));
    a.set_search_filter(match v.search_filter {
        SearchFilter::All => Filter::All,
        SearchFilter::Fktp => Filter::Fktp,
        SearchFilter::Hospital => Filter::Hospital,
        SearchFilter::Pharmacy => Filter::Pharmacy,
        SearchFilter::Optic => Filter::Optic,
        SearchFilter::Office => Filter::Office,
    });
    let results = if v.page == PageKind::Search {
        v.items.iter().map(item).collect()
    } else {
        Vec::new()
    };
    a.set_results(model(results));
}

pub(super) fn connect(window: &AppWindow, send: impl Fn(Event) + Clone + 'static) {
    forward!(window.global::<SearchAdapter>(), send, {
        on_key(c) => Event::Key(c.chars().next().unwrap_or(' ')),
        on_backspace() => Event::Backspace,
        on_clear() => Event::Clear,
        on_set_filter(f) => Event::SearchFilter(match f {
            Filter::All => SearchFilter::All,
            Filter::Fktp => SearchFilter::Fktp,
            Filter::Hospital => SearchFilter::Hospital,
            Filter::Pharmacy => SearchFilter::Pharmacy,
            Filter::Optic => SearchFilter::Optic,
            Filter::Office => SearchFilter::Office,
        }),
        on_open_result(i) => Event::OpenResult(index(i)),
    });
}
