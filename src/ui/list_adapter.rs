//! Lists (`ListAdapter`: Info JKN, FKTP and kelas choices, queue services) and an article.

use slint::ComponentHandle;

use super::view::{ItemData, KioskView, ListKindData, PageKind};
use super::{AppWindow, Item, ListAdapter, ListKind, forward, model, s};
use crate::kiosk::Event;

/// A list entry for Slint.
pub(super) fn item(i: &ItemData) -> Item {
    Item {
        title: s(&i.title),
        subtitle: s(&i.subtitle),
        detail: s(&i.detail),
        badge: s(&i.badge),
        enabled: i.enabled,
    }
}

pub(super) fn apply(window: &AppWindow, v: &KioskView) {
    let a = window.global::<ListAdapter>();
    // The view's entries are this list's on a list page (a search's on the search page).
    let items = if v.page == PageKind::List {
        v.items.iter().map(item).collect()
    } else {
        Vec::new()
    };
    a.set_items(model(items));
    a.set_list_kind(match v.list_kind {
        ListKindData::Articles => ListKind::Articles,
        ListKindData::Services => ListKind::Services,
        ListKindData::Fktp => ListKind::Fktp,
        ListKindData::Kelas => ListKind::Kelas,
    });
    a.set_list_intro(s(&v.list_intro));
    a.set_show_priority(v.show_priority);
    a.set_priority(v.priority);
    a.set_article_title(s(&v.article_title));
    a.set_article_body(s(&v.article_body));
    a.set_article_source(s(&v.article_source));
}

pub(super) fn connect(window: &AppWindow, send: impl Fn(Event) + Clone + 'static) {
    forward!(window.global::<ListAdapter>(), send, {
        // A tap says which list it was on, as drawn; the controller ignores one that is no
        // longer the list it shows.
        on_open_item(kind, i) => match kind {
            ListKind::Services => Event::TakeTicket(index(i)),
            ListKind::Articles => Event::OpenArticle(index(i)),
            ListKind::Fktp => Event::ChooseFacility(index(i)),
            ListKind::Kelas => Event::ChooseKelas(u8::try_from(i + 1).unwrap_or(0)),
        },
        on_toggle_priority() => Event::TogglePriority,
    });
}

/// A list position from Slint; a negative one (never sent) matches no entry.
pub(super) fn index(i: i32) -> usize {
    usize::try_from(i).unwrap_or(usize::MAX)
}
