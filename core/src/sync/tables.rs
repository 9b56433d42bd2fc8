//! The synced tables, their wire columns and keys, and how a change is applied to SQLite.
//!
//! Hub and kiosk share this file, so the hub's own copy of the current data and every
//! kiosk's cache are changed by the same statements. Search indexes (FTS5, R*Tree) are not
//! synced: they are rebuilt from their content tables inside the applying transaction.

use std::collections::HashMap;

use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{OptionalExtension, Transaction, params_from_iter};
use serde_json::Value;

/// One synced table: its wire columns in order, and the columns of its key.
#[derive(Debug)]
pub struct TableSpec {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub key: &'static [&'static str],
}

/// The synced tables, in upsert order (a parent before its children). Deletes run in the
/// reverse order. `facilities` and `offices` travel without their local `id`.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "members",
        columns: &crate::dataset::MEMBER_COLUMNS,
        key: &["card_no"],
    },
    TableSpec {
        name: "bills",
        columns: &["kk_no", "period", "amount", "paid_on"],
        key: &["kk_no", "period"],
    },
    TableSpec {
        name: "facilities",
        columns: &[
            "code",
            "name",
            "type",
            "address",
            "kecamatan",
            "kabkota",
            "province_code",
            "phone",
            "hours",
            "lat",
            "lon",
            "capacity",
            "members",
            "active",
        ],
        key: &["code"],
    },
    TableSpec {
        name: "offices",
        columns: &[
            "code", "name", "level", "address", "kabkota", "phone", "hours", "lat", "lon",
        ],
        key: &["code"],
    },
    TableSpec {
        name: "tariffs",
        columns: &["effective_from", "segment", "kelas", "amount"],
        key: &["effective_from", "segment", "kelas"],
    },
    TableSpec {
        name: "rules",
        columns: &["effective_from", "key", "value", "source"],
        key: &["effective_from", "key"],
    },
    TableSpec {
        name: "info_articles",
        columns: &[
            "id", "seq", "category", "title_id", "title_en", "body_id", "body_en", "source",
        ],
        key: &["id"],
    },
    TableSpec {
        name: "counter_services",
        columns: &["code", "name_id", "name_en", "minutes"],
        key: &["code"],
    },
    TableSpec {
        name: "service_documents",
        columns: &["service_code", "seq", "text_id", "text_en", "kind"],
        key: &["service_code", "seq"],
    },
    TableSpec {
        name: "request_status",
        columns: &[
            "reference",
            "state",
            "reason",
            "decided_at",
            "content_sha256",
        ],
        key: &["reference"],
    },
];

/// The tables a dataset import fills (all but the hub's request decisions).
pub fn dataset_tables() -> impl Iterator<Item = &'static TableSpec> {
    TABLES.iter().filter(|t| t.name != "request_status")
}

/// Finds a table by its wire name.
pub fn table(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.name == name)
}

/// What a change does to its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Insert the row, or replace the row with the same key.
    Upsert,
    /// Delete the row with this key (absent: nothing happens).
    Delete,
}

impl Op {
    pub fn code(self) -> &'static str {
        match self {
            Self::Upsert => "u",
            Self::Delete => "d",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "u" => Some(Self::Upsert),
            "d" => Some(Self::Delete),
            _ => None,
        }
    }
}

/// Why a change could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("unknown table {0:?}")]
    UnknownTable(String),
    #[error("{table}: expected {expected} values, found {found}")]
    Arity {
        table: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("{table}: a value is neither null, a number nor a string")]
    BadValue { table: &'static str },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// A wire value bound as an SQLite parameter without copying its text.
struct Wire<'a>(&'a Value);

impl ToSql for Wire<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Owned(SqlValue::Null),
            Value::Bool(b) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*b))),
            Value::Number(n) => match n.as_i64() {
                Some(i) => ToSqlOutput::Owned(SqlValue::Integer(i)),
                None => ToSqlOutput::Owned(SqlValue::Real(n.as_f64().unwrap_or(f64::NAN))),
            },
            Value::String(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            // Refused before binding (see `apply`).
            Value::Array(_) | Value::Object(_) => ToSqlOutput::Owned(SqlValue::Null),
        })
    }
}

/// Reads column `i` of `row` as a wire value.
pub fn wire_value(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Value> {
    Ok(match row.get_ref(i)? {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::from(n),
        ValueRef::Real(x) => serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(_) => Value::Null,
    })
}

/// Applies changes inside one transaction; [`Applier::finish`] rebuilds what they touched.
pub struct Applier<'t, 'c> {
    tx: &'t Transaction<'c>,
    places_touched: bool,
    /// Statement text per table and op, built once.
    sql: HashMap<(&'static str, bool), String>,
    /// Upserts and deletes applied, per table.
    pub counts: HashMap<&'static str, (u64, u64)>,
}

impl<'t, 'c> Applier<'t, 'c> {
    pub fn new(tx: &'t Transaction<'c>) -> Self {
        Self {
            tx,
            places_touched: false,
            sql: HashMap::new(),
            counts: HashMap::new(),
        }
    }

    /// Empties every synced table (a snapshot replaces them). The outbox is not touched.
    pub fn clear_all(&mut self) -> Result<(), ApplyError> {
        for t in TABLES.iter().rev() {
            self.tx.execute(&format!("DELETE FROM {}", t.name), [])?;
        }
        self.places_touched = true;
        Ok(())
    }

    /// Applies one change.
    pub fn apply(&mut self, table: &str, op: Op, values: &[Value]) -> Result<(), ApplyError> {
        let spec = self::table(table).ok_or_else(|| ApplyError::UnknownTable(table.into()))?;
        let expected = match op {
            Op::Upsert => spec.columns.len(),
            Op::Delete => spec.key.len(),
        };
        if values.len() != expected {
            return Err(ApplyError::Arity {
                table: spec.name,
                expected,
                found: values.len(),
            });
        }
        if values.iter().any(|v| v.is_array() || v.is_object()) {
            return Err(ApplyError::BadValue { table: spec.name });
        }
        let sql = self
            .sql
            .entry((spec.name, op == Op::Upsert))
            .or_insert_with(|| match op {
                Op::Upsert => upsert_sql(spec),
                Op::Delete => delete_sql(spec),
            });
        self.tx
            .prepare_cached(sql)?
            .execute(params_from_iter(values.iter().map(Wire)))?;
        if spec.name == "request_status" && op == Op::Upsert {
            self.own_decision(values)?;
        }
        if matches!(spec.name, "facilities" | "offices") {
            self.places_touched = true;
        }
        let entry = self.counts.entry(spec.name).or_default();
        match op {
            Op::Upsert => entry.0 += 1,
            Op::Delete => entry.1 += 1,
        }
        Ok(())
    }

    /// A decision for a request this kiosk took: its own record follows, if the decision
    /// names the content this kiosk accepted. A decision on other content sets the request
    /// aside as `MISMATCH` instead (docs/sync-protocol.md §8).
    fn own_decision(&mut self, values: &[Value]) -> Result<(), ApplyError> {
        let reference = values[0].as_str().unwrap_or_default();
        let own: Option<crate::store::OutboxEntry> = self
            .tx
            .prepare_cached(
                "SELECT reference, kind, card_no, payload, state, created_at, attempts, \
                 last_error, decision_reason FROM outbox \
                 WHERE reference = ?1 AND state IN ('PENDING', 'SENT')",
            )?
            .query_row([reference], crate::store::OutboxEntry::from_row)
            .optional()?;
        let Some(own) = own else { return Ok(()) };
        let named = values[4].as_str().unwrap_or_default();
        let mine = crate::sync::client::entry_digest(&own);
        if named == mine {
            self.tx
                .prepare_cached(
                    "UPDATE outbox SET state = ?2, decision_reason = ?3, decided_at = ?4 \
                     WHERE reference = ?1",
                )?
                .execute(params_from_iter(values[..4].iter().map(Wire)))?;
        } else {
            tracing::error!(%reference, "a decision names other content than this kiosk's request");
            self.tx
                .prepare_cached(
                    "UPDATE outbox SET state = 'MISMATCH', last_error = ?2 WHERE reference = ?1",
                )?
                .execute(rusqlite::params![
                    reference,
                    format!(
                        "DECISION_CONTENT_MISMATCH: the hub decided on content {named}, this kiosk accepted {mine}"
                    )
                ])?;
        }
        Ok(())
    }

    /// Rebuilds the search indexes if places changed. Call once, before commit.
    pub fn finish(self) -> Result<HashMap<&'static str, (u64, u64)>, ApplyError> {
        if self.places_touched {
            self.tx.execute_batch(
                "DELETE FROM facilities_geo;
                 INSERT INTO facilities_geo SELECT id, lat, lat, lon, lon FROM facilities;
                 INSERT INTO facilities_fts(facilities_fts) VALUES ('rebuild');
                 DELETE FROM offices_geo;
                 INSERT INTO offices_geo SELECT id, lat, lat, lon, lon FROM offices;
                 INSERT INTO offices_fts(offices_fts) VALUES ('rebuild');",
            )?;
        }
        Ok(self.counts)
    }
}

fn upsert_sql(spec: &TableSpec) -> String {
    let cols = spec.columns.join(", ");
    let marks: Vec<String> = (1..=spec.columns.len()).map(|i| format!("?{i}")).collect();
    let updates: Vec<String> = spec
        .columns
        .iter()
        .filter(|c| !spec.key.contains(c))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    // ON CONFLICT DO UPDATE, not REPLACE: a REPLACE would cascade-delete child rows.
    format!(
        "INSERT INTO {} ({cols}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}",
        spec.name,
        marks.join(", "),
        spec.key.join(", "),
        updates.join(", ")
    )
}

fn delete_sql(spec: &TableSpec) -> String {
    let conds: Vec<String> = spec
        .key
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 1))
        .collect();
    format!("DELETE FROM {} WHERE {}", spec.name, conds.join(" AND "))
}

/// `SELECT` of a table's wire columns in key order, for snapshots.
pub fn select_all_sql(spec: &TableSpec) -> String {
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        spec.columns.join(", "),
        spec.name,
        spec.key.join(", ")
    )
}

/// The position of each key column among the wire columns.
pub fn key_positions(spec: &TableSpec) -> Vec<usize> {
    spec.key
        .iter()
        .map(|k| spec.columns.iter().position(|c| c == k).unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use serde_json::json;

    #[test]
    fn every_key_is_a_column_and_every_table_exists() {
        let mut store = Store::open_in_memory().unwrap();
        for t in TABLES {
            for k in t.key {
                assert!(t.columns.contains(k), "{}.{k}", t.name);
            }
            let n: i64 = store
                .connection()
                .query_row(&format!("SELECT count(*) FROM {}", t.name), [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(n, 0);
        }
    }

    #[test]
    fn upserts_replace_deletes_remove_and_indexes_follow() {
        let mut store = Store::open_in_memory().unwrap();
        let conn = store.connection();
        let tx = conn.transaction().unwrap();
        let mut a = Applier::new(&tx);
        let fac = |name: &str| {
            vec![
                json!("0301R001"),
                json!(name),
                json!("PUSKESMAS"),
                json!("Jl. A"),
                json!("Kec"),
                json!("Kota"),
                json!("32"),
                json!("-"),
                json!("08-12"),
                json!(-6.9),
                json!(107.6),
                json!(100),
                json!(10),
                json!(1),
            ]
        };
        a.apply("facilities", Op::Upsert, &fac("Puskesmas Lama"))
            .unwrap();
        a.apply("facilities", Op::Upsert, &fac("Puskesmas Baru"))
            .unwrap();
        assert!(matches!(
            a.apply("facilities", Op::Delete, &[]),
            Err(ApplyError::Arity { .. })
        ));
        assert!(matches!(
            a.apply("nope", Op::Delete, &[]),
            Err(ApplyError::UnknownTable(_))
        ));
        a.finish().unwrap();
        let hits: i64 = tx
            .query_row(
                "SELECT count(*) FROM facilities_fts WHERE facilities_fts MATCH '\"baru\"*'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(hits, 1);
        let old: i64 = tx
            .query_row(
                "SELECT count(*) FROM facilities_fts WHERE facilities_fts MATCH '\"lama\"*'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(old, 0);
        let mut a = Applier::new(&tx);
        a.apply("facilities", Op::Delete, &[json!("0301R001")])
            .unwrap();
        a.finish().unwrap();
        let geo: i64 = tx
            .query_row("SELECT count(*) FROM facilities_geo", [], |r| r.get(0))
            .unwrap();
        assert_eq!(geo, 0);
    }
}
