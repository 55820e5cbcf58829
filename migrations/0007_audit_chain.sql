-- A tamper-evident audit trail: every event carries `hash`, the SHA-256 of its content chained
-- to the previous event's hash (see dossier-store/src/audit.rs for the exact bytes), so editing,
-- removing or reordering any event breaks every link after it and `dossier audit verify` names
-- the first broken one. Events written before this migration are sealed in order when the
-- database is next opened; the only update the trail accepts is that one-time seal.
ALTER TABLE audit_events ADD COLUMN hash BLOB CHECK (hash IS NULL OR length(hash) = 32);

DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (old.hash IS NULL AND new.hash IS NOT NULL
          AND new.seq IS old.seq AND new.id IS old.id AND new.at IS old.at AND new.actor IS old.actor
          AND new.action IS old.action AND new.entity_kind IS old.entity_kind
          AND new.entity_id IS old.entity_id AND new.reason IS old.reason AND new.summary IS old.summary)
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only: they cannot be updated');
END;

-- Normally empty: the events still to seal.
CREATE INDEX audit_events_unsealed ON audit_events (seq) WHERE hash IS NULL;
