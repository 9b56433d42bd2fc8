//! Finding facilities and offices: the on-screen keyboard, the filters, the nearest first,
//! a place in detail.

use super::Step;
use crate::domain::Bilingual;
use crate::kiosk::controller::{Controller, Event, Notice, Now, Screen, printing};
use crate::kiosk::effects::{Effect, Slip};
use crate::store::{FacilityQuery, FacilityRecord, OfficeQuery, OfficeRecord, StoreError};

/// What the search screen looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchFilter {
    #[default]
    All,
    Fktp,
    Hospital,
    Pharmacy,
    Optic,
    Office,
}

/// One search result, facility or office.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    Facility(FacilityRecord),
    Office(OfficeRecord),
}

impl Controller {
    /// Events on the search and place screens.
    pub(in crate::kiosk) fn on_search(&mut self, screen: Screen, event: Event, now: Now) -> Step {
        let (screen, effects) = match (screen, event) {
            (
                Screen::Search {
                    mut text,
                    mut filter,
                    results,
                },
                event,
            ) => {
                let mut changed = true;
                match event {
                    Event::Key(c)
                        if text.chars().count() < 40 && (c.is_alphanumeric() || c == ' ') =>
                    {
                        text.push(c)
                    }
                    Event::Backspace => {
                        text.pop();
                    }
                    Event::Clear => text.clear(),
                    Event::SearchFilter(f) => filter = f,
                    Event::OpenResult(i) if i < results.len() => {
                        let place = results[i].clone();
                        self.set_screen(Screen::PlaceDetail(Box::new(place)), now);
                        return Step::Moved(Vec::new());
                    }
                    _ => changed = false,
                }
                let results = if changed {
                    self.search(&text, filter)
                } else {
                    results
                };
                (
                    Screen::Search {
                        text,
                        filter,
                        results,
                    },
                    Vec::new(),
                )
            }
            (Screen::PlaceDetail(place), Event::Print) => {
                let slip = match &*place {
                    Place::Facility(f) => Slip::Facility(f.clone()),
                    Place::Office(o) => Slip::Office(o.clone()),
                };
                self.busy = Some(printing());
                (
                    Screen::PlaceDetail(place),
                    vec![Effect::Print(Box::new(slip))],
                )
            }
            (Screen::PlaceDetail(_), Event::Back) => (
                Screen::Search {
                    text: String::new(),
                    filter: SearchFilter::All,
                    results: self.search("", SearchFilter::All),
                },
                Vec::new(),
            ),
            (screen, event) => return Step::Pass(screen, event),
        };
        Step::Show(screen, effects)
    }

    /// The places for a search; a store that fails says so to the member (an empty list
    /// would read as "nothing there") and is logged by its code.
    pub(in crate::kiosk) fn search(&mut self, text: &str, filter: SearchFilter) -> Vec<Place> {
        match self.try_search(text, filter) {
            Ok(places) => places,
            Err(e) => {
                tracing::warn!(code = e.code(), "search failed");
                self.notice = Some(Notice {
                    message: search_unavailable(),
                    error: true,
                });
                Vec::new()
            }
        }
    }

    pub(in crate::kiosk) fn try_search(
        &self,
        text: &str,
        filter: SearchFilter,
    ) -> Result<Vec<Place>, StoreError> {
        use crate::domain::FacilityType as T;
        let text = (!text.trim().is_empty()).then(|| text.to_owned());
        if filter == SearchFilter::Office {
            return Ok(self
                .store
                .search_offices(&OfficeQuery {
                    text,
                    near: self.settings.location,
                    // "Nearest office" means one that serves members at a counter.
                    levels: crate::domain::OfficeLevel::SERVING_MEMBERS.to_vec(),
                    limit: SEARCH_LIMIT,
                    ..OfficeQuery::default()
                })?
                .into_iter()
                .map(Place::Office)
                .collect());
        }
        let types = match filter {
            SearchFilter::Fktp => T::ALL.iter().copied().filter(|t| t.is_fktp()).collect(),
            SearchFilter::Hospital => vec![T::RsKelasA, T::RsKelasB, T::RsKelasC, T::RsKelasD],
            SearchFilter::Pharmacy => vec![T::Apotek],
            SearchFilter::Optic => vec![T::Optik],
            _ => Vec::new(),
        };
        Ok(self
            .store
            .search_facilities(&FacilityQuery {
                text,
                near: self.settings.location,
                types,
                limit: SEARCH_LIMIT,
                ..FacilityQuery::default()
            })?
            .into_iter()
            .map(Place::Facility)
            .collect())
    }
}

pub(in crate::kiosk) fn search_unavailable() -> Bilingual {
    Bilingual::tr(
        "Pencarian sedang terganggu di anjungan ini. Silakan coba lagi, atau tanyakan ke loket informasi.",
    )
}

/// The search results shown at once.
pub(in crate::kiosk) const SEARCH_LIMIT: usize = 30;
