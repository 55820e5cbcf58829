-- No unique index on an outbox message's idempotency key.
--
-- The key is `{id}:{provider}:{operation}` (before: `{provider}:{operation}:{id}`), and `id`
-- is unique and indexed, so the key is unique without an index of its own; no query looks a
-- message up by its key (the adapters look a create of unknown fate up by what the provider
-- knows, crates/dossier-sync/src/adapters.rs). Yet every message a command queued wrote that
-- index, about 60 bytes an entry, so its 2 KiB leaves filled and split every few commands:
-- 1.3 to 3 of the 15 to 32 pages that verify, activate and open EDD write and encrypt. A
-- UNIQUE column constraint can only go with the table, so the table is made again, its rows,
-- sequence numbers and other indexes kept.
CREATE TABLE outbox_rebuilt (
    seq               INTEGER PRIMARY KEY,
    id                BLOB NOT NULL UNIQUE,
    provider          TEXT NOT NULL,
    operation         TEXT NOT NULL,
    aggregate_id      BLOB NOT NULL,
    subject_id        BLOB,
    payload_version   INTEGER NOT NULL,
    payload           TEXT NOT NULL,
    -- Made before any network call, from the message's id (so unique without an index).
    idempotency_key   TEXT NOT NULL,
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
INSERT INTO outbox_rebuilt (seq, id, provider, operation, aggregate_id, subject_id, payload_version, payload,
                            idempotency_key, status, attempts, maybe_sent, next_attempt_at, last_error, remote_id,
                            created_at, updated_at)
    SELECT seq, id, provider, operation, aggregate_id, subject_id, payload_version, payload,
           idempotency_key, status, attempts, maybe_sent, next_attempt_at, last_error, remote_id,
           created_at, updated_at
    FROM outbox ORDER BY seq;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX outbox_by_status ON outbox (status, seq);
CREATE INDEX outbox_by_customer ON outbox (aggregate_id, seq, provider, status);
