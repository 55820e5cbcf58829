-- Four-eyes approvals (issue 6): a command that needs a second person is validated and kept
-- here, with its maker and reason, until a supervisor who is not the maker approves it (and it
-- is applied in that transaction), rejects it, or the maker withdraws it. `entity_id` is what
-- the command acts on (a case, a customer, a control, an outbox message); at most one request
-- per kind and entity waits at a time. `customer_id` is the customer it concerns, so the
-- customer view lists its pending requests. A decided request is history: it never changes.
CREATE TABLE approvals (
    seq            INTEGER PRIMARY KEY,
    id             BLOB NOT NULL UNIQUE,
    kind           TEXT NOT NULL CHECK (kind IN ('edd_decision', 'client_override', 'control_removal',
                                                  'undo_rejection', 'sync_discard')),
    entity_id      BLOB NOT NULL,
    customer_id    BLOB NOT NULL,
    command        TEXT NOT NULL,
    maker          TEXT NOT NULL,
    maker_reason   TEXT,
    created_at     TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'approved', 'rejected', 'withdrawn')),
    checker        TEXT,
    decided_at     TEXT,
    checker_reason TEXT,
    CHECK ((state = 'pending') = (decided_at IS NULL))
);
CREATE UNIQUE INDEX approvals_one_pending ON approvals (kind, entity_id) WHERE state = 'pending';
CREATE INDEX approvals_by_state ON approvals (state, kind, seq);
CREATE INDEX approvals_by_kind ON approvals (kind, seq);
CREATE INDEX approvals_by_customer ON approvals (customer_id, state, seq);

CREATE TRIGGER approvals_decided_once BEFORE UPDATE ON approvals
WHEN old.state <> 'pending'
  OR new.seq IS NOT old.seq OR new.id IS NOT old.id OR new.kind IS NOT old.kind
  OR new.entity_id IS NOT old.entity_id OR new.customer_id IS NOT old.customer_id
  OR new.command IS NOT old.command OR new.maker IS NOT old.maker
  OR new.maker_reason IS NOT old.maker_reason OR new.created_at IS NOT old.created_at
BEGIN
    SELECT RAISE(ABORT, 'an approval request is decided once and then kept as it is');
END;

CREATE TRIGGER approvals_no_delete BEFORE DELETE ON approvals
BEGIN
    SELECT RAISE(ABORT, 'approval requests are history: they cannot be deleted');
END;
