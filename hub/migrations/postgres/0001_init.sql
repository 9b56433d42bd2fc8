-- The hub on PostgreSQL, version 1: the current rows in the kiosk's wire shape (the same
-- columns as the kiosk's SQLite tables, src: core/src/sync/tables.rs), the version log, the
-- recorded changes deltas replay, requests, integrity flags, the fleet, and the nonces
-- every replica checks. Never edit a migration that has shipped: add the next one.

CREATE TABLE hub_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE members (
    card_no       text PRIMARY KEY,
    nik           text NOT NULL,
    kk_no         text NOT NULL,
    name          text NOT NULL,
    birth_date    text NOT NULL,
    sex           text NOT NULL,
    relation      text NOT NULL,
    segment       text NOT NULL,
    kelas         bigint NOT NULL,
    fktp_code     text NOT NULL,
    fktp_since    text NOT NULL,
    kelas_since   text NOT NULL,
    registered_on text NOT NULL,
    status        text NOT NULL,
    wage          bigint,
    employer      text,
    status_reason text
);
CREATE INDEX members_kk ON members (kk_no);
-- Not UNIQUE: an import applies its changes row by row, and two members trading NIKs would
-- collide midway; the importer has already refused a dataset with a NIK twice.
CREATE INDEX members_nik ON members (nik);

CREATE TABLE bills (
    kk_no   text NOT NULL,
    period  text NOT NULL,
    amount  bigint NOT NULL,
    paid_on text,
    PRIMARY KEY (kk_no, period)
);

CREATE TABLE facilities (
    code          text PRIMARY KEY,
    name          text NOT NULL,
    type          text NOT NULL,
    address       text NOT NULL,
    kecamatan     text NOT NULL,
    kabkota       text NOT NULL,
    province_code text NOT NULL,
    phone         text NOT NULL,
    hours         text NOT NULL,
    lat           double precision NOT NULL,
    lon           double precision NOT NULL,
    capacity      bigint NOT NULL,
    members       bigint NOT NULL,
    active        bigint NOT NULL
);

CREATE TABLE offices (
    code    text PRIMARY KEY,
    name    text NOT NULL,
    level   text NOT NULL,
    address text NOT NULL,
    kabkota text NOT NULL,
    phone   text NOT NULL,
    hours   text NOT NULL,
    lat     double precision NOT NULL,
    lon     double precision NOT NULL
);

CREATE TABLE tariffs (
    effective_from text NOT NULL,
    segment        text NOT NULL,
    kelas          bigint NOT NULL,
    amount         bigint NOT NULL,
    PRIMARY KEY (effective_from, segment, kelas)
);

CREATE TABLE rules (
    effective_from text NOT NULL,
    key            text NOT NULL,
    value          bigint NOT NULL,
    source         text NOT NULL,
    PRIMARY KEY (effective_from, key)
);

CREATE TABLE info_articles (
    id       text PRIMARY KEY,
    seq      bigint NOT NULL,
    category text NOT NULL,
    title_id text NOT NULL,
    title_en text NOT NULL,
    body_id  text NOT NULL,
    body_en  text NOT NULL,
    source   text NOT NULL
);

CREATE TABLE counter_services (
    code    text PRIMARY KEY,
    name_id text NOT NULL,
    name_en text NOT NULL,
    minutes bigint NOT NULL
);

CREATE TABLE service_documents (
    service_code text NOT NULL,
    seq          bigint NOT NULL,
    text_id      text NOT NULL,
    text_en      text NOT NULL,
    kind         text NOT NULL DEFAULT 'DOC',
    PRIMARY KEY (service_code, seq)
);

CREATE TABLE request_status (
    reference      text PRIMARY KEY,
    state          text NOT NULL,
    reason         text,
    decided_at     text,
    content_sha256 text
);

CREATE TABLE hub_versions (
    version    bigint PRIMARY KEY,
    created_at text NOT NULL,
    kind       text NOT NULL,   -- IMPORT or DECISION
    source     text NOT NULL,
    upserts    bigint NOT NULL,
    deletes    bigint NOT NULL
);

CREATE TABLE hub_changes (
    seq     bigserial PRIMARY KEY,
    version bigint NOT NULL,
    tbl     text NOT NULL,
    op      text NOT NULL,      -- u or d
    data    text NOT NULL       -- JSON array: the row (u) or its key (d)
);
CREATE INDEX hub_changes_version ON hub_changes (version, seq);

CREATE TABLE hub_requests (
    id          bigserial PRIMARY KEY,
    reference   text NOT NULL UNIQUE,
    cons_id     text NOT NULL,
    kind        text NOT NULL,
    card_no     text NOT NULL,
    change      text NOT NULL,
    created_at  text NOT NULL,
    received_at text NOT NULL,
    state       text NOT NULL,  -- RECEIVED, APPROVED, REJECTED
    reason      text,
    decided_at  text
);
CREATE INDEX hub_requests_card ON hub_requests (card_no);

CREATE TABLE hub_flags (
    id        bigserial PRIMARY KEY,
    at        text NOT NULL,
    cons_id   text NOT NULL,
    reference text NOT NULL,
    code      text NOT NULL,
    detail    text NOT NULL
);

CREATE TABLE hub_fleet (
    cons_id    text PRIMARY KEY,
    last_seen  text NOT NULL,
    heartbeats bigint NOT NULL,
    health     text NOT NULL
);

-- A call's nonce, taken once across every replica; kept until its timestamp leaves the
-- ±300 s window, after which the call is refused as stale anyway.
CREATE TABLE hub_nonces (
    cons_id    text NOT NULL,
    nonce      text NOT NULL,
    expires_at bigint NOT NULL,
    PRIMARY KEY (cons_id, nonce)
);
CREATE INDEX hub_nonces_expiry ON hub_nonces (expires_at);
