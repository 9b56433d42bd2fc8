//! Info JKN articles, counter services with their documents, tariffs and rules.

use super::{Store, StoreError, code_col, date_col};
use crate::content::{CounterService, Document, InfoArticle};
use crate::domain::{RuleRow, RulesTable, TariffRow, TariffTable};

/// `service_documents.kind` of a note (something to know, not to bring); documents are
/// `DOC`.
pub(crate) const NOTE: &str = "NOTE";

impl Store {
    /// Info JKN articles in display order.
    pub fn info_articles(&self) -> Result<Vec<InfoArticle>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, category, title_id, title_en, body_id, body_en, source \
             FROM info_articles ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(InfoArticle {
                id: r.get(0)?,
                category: r.get(1)?,
                title_id: r.get(2)?,
                title_en: r.get(3)?,
                body_id: r.get(4)?,
                body_en: r.get(5)?,
                source: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The counter services (A–I) with the documents each needs.
    pub fn counter_services(&self) -> Result<Vec<CounterService>, StoreError> {
        let mut docs = self.conn.prepare_cached(
            "SELECT text_id, text_en, kind FROM service_documents WHERE service_code = ?1 \
             ORDER BY seq",
        )?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT code, name_id, name_en, minutes FROM counter_services ORDER BY code",
        )?;
        let services: Vec<(String, String, String, u32)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        services
            .into_iter()
            .map(|(code, name_id, name_en, minutes)| {
                let entries: Vec<(Document, String)> = docs
                    .query_map([&code], |r| {
                        Ok((
                            Document {
                                id: r.get(0)?,
                                en: r.get(1)?,
                            },
                            r.get(2)?,
                        ))
                    })?
                    .collect::<Result<_, _>>()?;
                let (notes, documents): (Vec<_>, Vec<_>) =
                    entries.into_iter().partition(|(_, kind)| kind == NOTE);
                let documents = documents.into_iter().map(|(d, _)| d).collect();
                let notes = notes.into_iter().map(|(d, _)| d).collect();
                Ok(CounterService {
                    code,
                    name_id,
                    name_en,
                    minutes,
                    documents,
                    notes,
                })
            })
            .collect()
    }

    /// The tariff table: built-in defaults, with the pairs the dataset's `tariffs.csv`
    /// mentions replaced by its rows.
    pub fn tariffs(&self) -> Result<TariffTable, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT effective_from, segment, kelas, amount FROM tariffs")?;
        let rows: Vec<TariffRow> = stmt
            .query_map([], |r| {
                Ok(TariffRow {
                    effective_from: date_col(r, 0)?,
                    segment: code_col(r, 1)?,
                    kelas: code_col(r, 2)?,
                    amount: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        // The importer checked every row, so a refusal here means the file was edited.
        TariffTable::defaults()
            .with_rows(rows)
            .map_err(|e| StoreError::Sqlite(super::corrupt(3, e.to_string())))
    }

    /// The rules table: built-in defaults overridden by the dataset's `rules.csv`.
    pub fn rules(&self) -> Result<RulesTable, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT effective_from, key, value, source FROM rules")?;
        let rows: Vec<RuleRow> = stmt
            .query_map([], |r| {
                Ok(RuleRow {
                    effective_from: date_col(r, 0)?,
                    key: code_col(r, 1)?,
                    value: r.get(2)?,
                    source: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        RulesTable::defaults()
            .with_overrides(rows)
            .map_err(|e| StoreError::Sqlite(super::corrupt(2, e.to_string())))
    }

    /// Whether any member data is loaded; an empty kiosk must say so rather than deny
    /// everyone.
    pub fn has_members(&self) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM members)")?
            .query_row([], |r| r.get(0))?)
    }
}
