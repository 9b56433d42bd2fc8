//! Versioned schema migrations for the kiosk database.
//!
//! Each migration runs once, in order, inside a transaction, and bumps SQLite's
//! `user_version`. Never edit a migration that has shipped: add a new one.

use rusqlite::Connection;

use super::StoreError;

/// The schema, one entry per version. Index 0 brings an empty file to version 1.
const MIGRATIONS: &[&str] = &[
    // v1: the dataset tables, search indexes, content, the outbox and sync metadata.
    r#"
    CREATE TABLE members (
        card_no       TEXT PRIMARY KEY,
        nik           TEXT NOT NULL UNIQUE,
        kk_no         TEXT NOT NULL,
        name          TEXT NOT NULL,
        birth_date    TEXT NOT NULL,
        sex           TEXT NOT NULL,
        relation      TEXT NOT NULL,
        segment       TEXT NOT NULL,
        kelas         INTEGER NOT NULL,
        fktp_code     TEXT NOT NULL,
        fktp_since    TEXT NOT NULL,
        kelas_since   TEXT NOT NULL,
        registered_on TEXT NOT NULL,
        status        TEXT NOT NULL,
        wage          INTEGER,
        employer      TEXT
    ) WITHOUT ROWID;
    CREATE INDEX members_kk ON members(kk_no);

    CREATE TABLE bills (
        kk_no   TEXT NOT NULL,
        period  TEXT NOT NULL,
        amount  INTEGER NOT NULL,
        paid_on TEXT,
        PRIMARY KEY (kk_no, period)
    ) WITHOUT ROWID;

    CREATE TABLE facilities (
        id            INTEGER PRIMARY KEY,
        code          TEXT NOT NULL UNIQUE,
        name          TEXT NOT NULL,
        type          TEXT NOT NULL,
        address       TEXT NOT NULL,
        kecamatan     TEXT NOT NULL,
        kabkota       TEXT NOT NULL,
        province_code TEXT NOT NULL,
        phone         TEXT NOT NULL,
        hours         TEXT NOT NULL,
        lat           REAL NOT NULL,
        lon           REAL NOT NULL,
        capacity      INTEGER NOT NULL,
        members       INTEGER NOT NULL,
        active        INTEGER NOT NULL
    );
    CREATE INDEX facilities_type ON facilities(type);
    CREATE VIRTUAL TABLE facilities_fts USING fts5(
        name, address, kecamatan, kabkota,
        content = 'facilities', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE VIRTUAL TABLE facilities_geo USING rtree(id, min_lat, max_lat, min_lon, max_lon);

    CREATE TABLE offices (
        id      INTEGER PRIMARY KEY,
        code    TEXT NOT NULL UNIQUE,
        name    TEXT NOT NULL,
        level   TEXT NOT NULL,
        address TEXT NOT NULL,
        kabkota TEXT NOT NULL,
        phone   TEXT NOT NULL,
        hours   TEXT NOT NULL,
        lat     REAL NOT NULL,
        lon     REAL NOT NULL
    );
    CREATE VIRTUAL TABLE offices_fts USING fts5(
        name, address, kabkota,
        content = 'offices', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE VIRTUAL TABLE offices_geo USING rtree(id, min_lat, max_lat, min_lon, max_lon);

    CREATE TABLE tariffs (
        effective_from TEXT NOT NULL,
        segment        TEXT NOT NULL,
        kelas          INTEGER NOT NULL,
        amount         INTEGER NOT NULL,
        PRIMARY KEY (effective_from, segment, kelas)
    ) WITHOUT ROWID;

    CREATE TABLE rules (
        effective_from TEXT NOT NULL,
        key            TEXT NOT NULL,
        value          INTEGER NOT NULL,
        source         TEXT NOT NULL,
        PRIMARY KEY (effective_from, key)
    ) WITHOUT ROWID;

    CREATE TABLE info_articles (
        id       TEXT PRIMARY KEY,
        seq      INTEGER NOT NULL,
        category TEXT NOT NULL,
        title_id TEXT NOT NULL,
        title_en TEXT NOT NULL,
        body_id  TEXT NOT NULL,
        body_en  TEXT NOT NULL,
        source   TEXT NOT NULL
    );

    CREATE TABLE counter_services (
        code    TEXT PRIMARY KEY,
        name_id TEXT NOT NULL,
        name_en TEXT NOT NULL,
        minutes INTEGER NOT NULL
    );
    CREATE TABLE service_documents (
        service_code TEXT NOT NULL REFERENCES counter_services(code) ON DELETE CASCADE,
        seq          INTEGER NOT NULL,
        text_id      TEXT NOT NULL,
        text_en      TEXT NOT NULL,
        PRIMARY KEY (service_code, seq)
    ) WITHOUT ROWID;

    -- Change requests the kiosk accepted. Holds only what the request needs (domain.md §8).
    CREATE TABLE outbox (
        reference    TEXT PRIMARY KEY,
        kind         TEXT NOT NULL,
        card_no      TEXT NOT NULL,
        payload      TEXT NOT NULL,
        state        TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        sent_at      TEXT,
        decided_at   TEXT,
        decision_reason TEXT
    );
    CREATE INDEX outbox_state ON outbox(state);
    CREATE INDEX outbox_card ON outbox(card_no);

    CREATE TABLE sync_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    "#,
    // v2: request decisions synced from the hub, so any kiosk can tell a request's state.
    // Holds no card number or name: the reference, the decision and its reason only.
    r#"
    CREATE TABLE request_status (
        reference  TEXT PRIMARY KEY,
        state      TEXT NOT NULL,
        reason     TEXT,
        decided_at TEXT
    ) WITHOUT ROWID;
    "#,
    // v3: the diagnostics audit log (docs/diagnostics.md): event codes and technical
    // details, never member data.
    r#"
    CREATE TABLE diag_audit (
        id     INTEGER PRIMARY KEY,
        at     TEXT NOT NULL,
        event  TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    "#,
    // v4: protocol 2 (docs/sync-protocol.md): a decision names the SHA-256 of the request
    // content it decided on, so a kiosk accepts it only for the content it took.
    r#"
    ALTER TABLE request_status ADD COLUMN content_sha256 TEXT;
    "#,
    // v5: failed identifications per identifier, for the lockout (services/lockout.rs).
    // Keyed by an HMAC of the identifier, never the NIK or card number in clear.
    r#"
    CREATE TABLE id_attempts (
        key_hash       TEXT PRIMARY KEY,
        failures       INTEGER NOT NULL,
        last_failed_at INTEGER NOT NULL,
        locked_until   INTEGER
    ) WITHOUT ROWID;
    "#,
    // v6: why a NON_AKTIF member is not active (members.csv `status_reason`, optional).
    r#"
    ALTER TABLE members ADD COLUMN status_reason TEXT;
    "#,
    // v7: a counter service's entries are documents to bring (`DOC`) or notes to know
    // (`NOTE`, services.csv `notes_id`/`notes_en`); the kiosk ticks only documents.
    r#"
    ALTER TABLE service_documents ADD COLUMN kind TEXT NOT NULL DEFAULT 'DOC';
    "#,
    // v8: counts per 30-minute slot (ratings per day) for the hub's figures (counters.rs).
    // `sent` is 0 once a count changed and until the hub acknowledged it; the ratings
    // counted before this version, per star with no day, are kept under 2014-01-01 (JKN's
    // start): sent and kept at the hub, never one day's spike in a chart of 30.
    r#"
    CREATE TABLE slot_counters (
        slot   TEXT NOT NULL,
        metric TEXT NOT NULL,
        key    TEXT NOT NULL,
        n      INTEGER NOT NULL,
        sent   INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (slot, metric, key)
    ) WITHOUT ROWID;
    CREATE INDEX slot_counters_unsent ON slot_counters (sent) WHERE sent = 0;
    INSERT INTO slot_counters (slot, metric, key, n)
        SELECT '2014-01-01', 'ratings', substr(key, 8), CAST(value AS INTEGER)
        FROM sync_meta WHERE key IN ('rating_1', 'rating_2', 'rating_3', 'rating_4', 'rating_5')
        AND CAST(value AS INTEGER) > 0;
    DELETE FROM sync_meta WHERE key IN ('rating_1', 'rating_2', 'rating_3', 'rating_4', 'rating_5');
    "#,
];

/// The schema version this build expects.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings `conn` up to [`SCHEMA_VERSION`].
///
/// Refuses a database written by a newer build rather than guessing at its schema.
pub fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
    let current: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as u32 + 1)?;
        tx.commit()?;
    }
    Ok(SCHEMA_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kiosk of version 7 counted ratings per star with no day: version 8 keeps them
    /// under 2014-01-01, a closed day no 30-day chart reaches.
    #[test]
    fn version_8_moves_the_timeless_ratings_to_a_closed_day() {
        let mut conn = Connection::open_in_memory().unwrap();
        for (index, sql) in MIGRATIONS.iter().take(7).enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", index as u32 + 1)
                .unwrap();
        }
        conn.execute_batch(
            "INSERT INTO sync_meta (key, value) VALUES ('rating_5', '3'), ('rating_2', '1'), \
             ('rating_1', '0'), ('diag_printed_total', '9');",
        )
        .unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), SCHEMA_VERSION);
        let yesterday = "2014-01-01".to_owned();
        let rows: Vec<(String, String, String, i64, i64)> = conn
            .prepare("SELECT slot, metric, key, n, sent FROM slot_counters ORDER BY key")
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let ratings = |key: &str, n| {
            (
                yesterday.clone(),
                "ratings".to_owned(),
                key.to_owned(),
                n,
                0,
            )
        };
        assert_eq!(rows, [ratings("2", 1), ratings("5", 3)]);
        let left: Vec<String> = conn
            .prepare("SELECT key FROM sync_meta ORDER BY key")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(left, ["diag_printed_total"]);
    }
}
