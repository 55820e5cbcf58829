-- Sync and the dashboard: the transactional outbox (a change a provider must hear about is written in the same
-- transaction as the change), the providers a firm uses (secrets stay outside the database),
-- local id <-> provider id mappings, and conflict cases for remote results that contradict a
-- local officer's decision.

CREATE TABLE providers (
    name       TEXT PRIMARY KEY NOT NULL CHECK (name IN ('cybrid', 'paxos', 'qolo', 'mbanq')),
    base_url   TEXT NOT NULL,
    client_id  TEXT,
    tenant     TEXT,
    enabled    INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    updated_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE outbox (
    seq               INTEGER PRIMARY KEY,
    id                BLOB NOT NULL UNIQUE,
    provider          TEXT NOT NULL,
    operation         TEXT NOT NULL,
    aggregate_id      BLOB NOT NULL,
    subject_id        BLOB,
    payload_version   INTEGER NOT NULL,
    payload           TEXT NOT NULL,
    -- Made before any network call; sent where the provider takes one, and the key of lookups.
    idempotency_key   TEXT NOT NULL UNIQUE,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'in_flight', 'done', 'needs_attention', 'discarded')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    -- Set once an attempt may have reached the provider (lost response, crash); never cleared,
    -- so every later attempt looks the record up before creating it.
    maybe_sent        INTEGER NOT NULL DEFAULT 0 CHECK (maybe_sent IN (0, 1)),
    next_attempt_at   TEXT NOT NULL,
    last_error        TEXT,
    remote_id         TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
-- The worker's question: what is due, oldest first, per provider.
CREATE INDEX outbox_due ON outbox (provider, status, next_attempt_at, seq)
    WHERE status IN ('pending', 'in_flight');
-- Per-aggregate order: the oldest unfinished message of an aggregate goes first.
CREATE INDEX outbox_by_aggregate ON outbox (provider, aggregate_id, seq)
    WHERE status IN ('pending', 'in_flight', 'needs_attention');
CREATE INDEX outbox_by_status ON outbox (status, seq);

CREATE TABLE remote_ids (
    provider    TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    local_id    BLOB NOT NULL,
    remote_id   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    -- Set once the remote record reached a final state and was reconciled: no more polling.
    settled     INTEGER NOT NULL DEFAULT 0 CHECK (settled IN (0, 1)),
    PRIMARY KEY (provider, entity_kind, local_id),
    UNIQUE (provider, entity_kind, remote_id)
) WITHOUT ROWID;

-- What each provider last said about a customer (Paxos identity status, Mbanq verification
-- status, Qolo's latest KYC response), read back by the sync worker.
CREATE TABLE provider_statuses (
    provider    TEXT NOT NULL,
    customer_id BLOB NOT NULL REFERENCES customers (id),
    status      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    fetched_at  TEXT NOT NULL,
    PRIMARY KEY (provider, customer_id)
) WITHOUT ROWID;

CREATE TABLE conflicts (
    id              BLOB PRIMARY KEY NOT NULL,
    customer_id     BLOB NOT NULL REFERENCES customers (id),
    verification_id BLOB REFERENCES identity_verifications (id),
    provider        TEXT NOT NULL,
    local_value     TEXT NOT NULL,
    remote_value    TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    resolution      TEXT,
    created_at      TEXT NOT NULL,
    resolved_at     TEXT
);
CREATE INDEX conflicts_open ON conflicts (customer_id) WHERE status = 'open';

-- The dashboard counts customers onboarded today.
CREATE INDEX customers_by_created_at ON customers (created_at);
