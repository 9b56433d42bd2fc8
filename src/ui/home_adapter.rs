//! The home screen's tiles (`HomeAdapter`).

use slint::ComponentHandle;

use super::{AppWindow, HomeAdapter, Tile, forward};
use crate::kiosk::{Event, Tile as KioskTile};

pub(super) fn connect(window: &AppWindow, send: impl Fn(Event) + Clone + 'static) {
    forward!(window.global::<HomeAdapter>(), send, {
        on_tile(t) => Event::Tile(match t {
            Tile::Status => KioskTile::Status,
            Tile::Dues => KioskTile::Dues,
            Tile::Va => KioskTile::Va,
            Tile::Info => KioskTile::Info,
            Tile::Search => KioskTile::Search,
            Tile::ChangeFktp => KioskTile::ChangeFktp,
            Tile::ChangeKelas => KioskTile::ChangeKelas,
            Tile::Queue => KioskTile::Queue,
            Tile::Request => KioskTile::Request,
        }),
    });
}
