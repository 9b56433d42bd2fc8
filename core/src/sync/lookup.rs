//! On-demand lookup of a member from another region: the kiosk asks its hub with the
//! identifier and the date of birth (an authenticated call bound to its body); the hub
//! answers only on an exact match, with that family's rows in a signed payload bound to
//! the call's nonce. The rows are held in memory for the member's session only
//! ([`visit`]): TEMP tables, in memory, that shadow the local members and bills on that
//! one connection, and go when it closes.

use std::time::Duration;

use serde_json::Value;

use super::SyncError;
use super::agent::AgentConfig;
use super::client::HubClient;
use super::payload::{self, Expect, Kind};
use super::tls::{HubEndpoint, hub_urls};
use crate::store::Store;

/// What the hub said.
#[derive(Debug, Clone, PartialEq)]
pub enum LookupAnswer {
    /// The family's rows, as `(table, values)` in the wire columns.
    Found(Vec<(String, Vec<Value>)>),
    /// No member with this identifier and date of birth.
    Mismatch,
    /// Too many failed lookups of this identifier, across the fleet.
    Locked { seconds_left: u64 },
}

/// The largest lookup answer a kiosk reads (a family and its bills is a few KiB).
pub const LOOKUP_ANSWER_MAX: usize = 1024 * 1024;

/// The tables a lookup answer may carry.
const FAMILY_TABLES: &[&str] = &["members", "bills"];

impl HubClient {
    /// `POST /v1/lookup`: asks for the family of `id` (NIK or card) born `birth_date`.
    pub async fn lookup(&self, id: &str, birth_date: &str) -> Result<LookupAnswer, SyncError> {
        let body = serde_json::to_vec(&serde_json::json!({ "id": id, "birth_date": birth_date }))
            .map_err(|e| SyncError::Network(e.to_string()))?;
        let nonce = super::nonce();
        let resp = match self
            .send_call(reqwest::Method::POST, "/v1/lookup", body, &nonce)
            .await
        {
            Ok(resp) => resp,
            Err(SyncError::Hub { code, .. }) if code == "IDENTITY_MISMATCH" => {
                return Ok(LookupAnswer::Mismatch);
            }
            Err(SyncError::Hub {
                code, retry_after, ..
            }) if code == "IDENTITY_LOCKED" => {
                // The hub says how long; an answer without it counts as the whole lock.
                return Ok(LookupAnswer::Locked {
                    seconds_left: retry_after.unwrap_or(3_600).max(1),
                });
            }
            Err(e) => return Err(e),
        };
        let bytes = self.read_answer(resp, LOOKUP_ANSWER_MAX).await?;
        let verified = payload::verify(
            &bytes[..],
            &Expect {
                key: self.pinned_key(),
                nonce: &nonce,
                now: super::unix_now(),
                max_skew: super::auth::WINDOW_SECS,
            },
        )?;
        if verified.header.kind != Kind::Lookup {
            return Err(SyncError::Mismatch("the answer is not a lookup".into()));
        }
        let mut lines = payload::Lines::new(&bytes[..]);
        lines.advance()?; // the header, already checked
        let mut rows = Vec::new();
        while lines.advance()? {
            if lines.line.first() != Some(&b'[') {
                break; // the end line
            }
            let (_, table, values) = payload::parse_change(&lines.line)?;
            if !FAMILY_TABLES.contains(&table.as_str()) {
                return Err(SyncError::Mismatch(format!(
                    "a lookup answer carries table {table:?}"
                )));
            }
            rows.push((table, values));
        }
        Ok(LookupAnswer::Found(rows))
    }
}

/// Asks the hubs of `config` in order (replicas): the first that answers decides.
pub async fn lookup(
    config: &AgentConfig,
    id: &str,
    birth_date: &str,
) -> Result<LookupAnswer, SyncError> {
    let limits = super::client::ClientLimits {
        connect_timeout: Duration::from_secs(4),
        read_timeout: Duration::from_secs(8),
        ..config.limits
    };
    let mut last = SyncError::Network("no hub URL".into());
    for url in hub_urls(&config.hub_url) {
        let endpoint = HubEndpoint::new(url, config.hub_ca.as_deref())?;
        let client = HubClient::new(
            &endpoint,
            &config.cons_id,
            &config.secret,
            config.hub_key,
            limits,
        )?;
        match client.lookup(id, birth_date).await {
            Err(e @ SyncError::Network(_)) => last = e,
            other => return other,
        }
    }
    Err(last)
}

/// Puts a looked-up family on `store`'s connection for this session: TEMP tables in
/// memory named `members` and `bills`, which shadow the local ones on this connection
/// only (SQLite resolves `temp` first), so every service reads the visitor's family and
/// the local facilities, rules and tariffs. Nothing of it reaches the database file.
pub fn visit(store: &mut Store, rows: &[(String, Vec<Value>)]) -> Result<(), SyncError> {
    let conn = store.connection();
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.members; DROP TABLE IF EXISTS temp.bills; \
         CREATE TEMP TABLE members AS SELECT * FROM main.members WHERE 0; \
         CREATE TEMP TABLE bills AS SELECT * FROM main.bills WHERE 0;",
    )?;
    for (table, values) in rows {
        let spec = super::tables::table(table)
            .filter(|s| FAMILY_TABLES.contains(&s.name))
            .ok_or_else(|| SyncError::Mismatch(format!("unexpected table {table:?}")))?;
        if values.len() != spec.columns.len() {
            return Err(SyncError::Mismatch(format!(
                "{table}: {} values for {} columns",
                values.len(),
                spec.columns.len()
            )));
        }
        let marks: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO temp.{table} ({}) VALUES ({})",
            spec.columns.join(", "),
            marks.join(", ")
        );
        let params: Vec<rusqlite::types::Value> = values.iter().map(sql_value).collect();
        conn.execute(&sql, rusqlite::params_from_iter(params))?;
    }
    Ok(())
}

fn sql_value(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Value::Null => V::Null,
        Value::Bool(b) => V::Integer(i64::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(V::Integer)
            .or_else(|| n.as_f64().map(V::Real))
            .unwrap_or(V::Null),
        Value::String(s) => V::Text(s.clone()),
        other => V::Text(other.to_string()),
    }
}

/// Drops a visitor's family from `store`'s connection (the session is over).
pub fn leave(store: &mut Store) -> Result<(), SyncError> {
    store
        .connection()
        .execute_batch("DROP TABLE IF EXISTS temp.members; DROP TABLE IF EXISTS temp.bills;")?;
    Ok(())
}
