-- KYC and EDD: identity verifications (an EDD case is one, with its evidence), compliance checks
-- and decisions, officers' decisions and notes, perform-KYC attempts, risk assessments, the
-- firm's policy, and the derived columns the work queues filter on (risk, identity status, EDD
-- status, next KYC refresh), each with an index.

ALTER TABLE customers ADD COLUMN politically_exposed INTEGER NOT NULL DEFAULT 0 CHECK (politically_exposed IN (0, 1));
ALTER TABLE customers ADD COLUMN risk_rating TEXT NOT NULL DEFAULT 'LOW'
    CHECK (risk_rating IN ('LOW', 'MEDIUM', 'HIGH', 'PROHIBITED'));
ALTER TABLE customers ADD COLUMN identity_status TEXT NOT NULL DEFAULT 'PENDING'
    CHECK (identity_status IN ('PENDING', 'ERROR', 'APPROVED', 'DENIED', 'DISABLED'));
ALTER TABLE customers ADD COLUMN edd_status TEXT NOT NULL DEFAULT 'none'
    CHECK (edd_status IN ('none', 'in_progress', 'passed', 'failed'));
ALTER TABLE customers ADD COLUMN kyc_refresh_due_on TEXT;
ALTER TABLE customers ADD COLUMN verified_on TEXT;

CREATE INDEX customers_by_risk ON customers (risk_rating, id);
CREATE INDEX customers_by_identity_status ON customers (identity_status, id);
CREATE INDEX customers_by_edd_status ON customers (edd_status, id);
CREATE INDEX customers_by_refresh_due ON customers (kyc_refresh_due_on, id) WHERE kyc_refresh_due_on IS NOT NULL;

CREATE TABLE identity_verifications (
    id                 BLOB PRIMARY KEY NOT NULL,
    customer_id        BLOB NOT NULL REFERENCES customers (id),
    verification_type  TEXT NOT NULL,
    method             TEXT NOT NULL,
    state              TEXT NOT NULL
                       CHECK (state IN ('storing', 'waiting', 'pending', 'reviewing', 'completed', 'expired')),
    outcome            TEXT CHECK (outcome IN ('passed', 'failed')),
    failure_codes      TEXT NOT NULL DEFAULT '',
    completed_at       TEXT,
    expired_at         TEXT,
    external_reference TEXT,
    expires_at         TEXT,
    -- Case work: who has it, when it is due, until when it is snoozed.
    assignee           TEXT,
    sla_due_at         TEXT,
    snoozed_until      TEXT,
    -- EDD only: the evidence the case must hold (comma-separated checklist items).
    checklist          TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    CHECK ((state = 'completed') = (outcome IS NOT NULL)),
    CHECK ((state = 'completed') = (completed_at IS NOT NULL))
);
CREATE INDEX identity_verifications_by_customer ON identity_verifications (customer_id, created_at);
CREATE INDEX identity_verifications_by_state ON identity_verifications (state, customer_id);
CREATE INDEX identity_verifications_by_method ON identity_verifications (method, state, customer_id);
CREATE INDEX identity_verifications_by_assignee ON identity_verifications (assignee, customer_id)
    WHERE assignee IS NOT NULL;
-- Open cases by due time, for "SLA breached" queues.
CREATE INDEX identity_verifications_open_by_sla ON identity_verifications (sla_due_at, customer_id)
    WHERE state IN ('storing', 'waiting', 'pending', 'reviewing');
-- Unfinished verifications by deadline, for the expiry tick.
CREATE INDEX identity_verifications_by_deadline ON identity_verifications (expires_at)
    WHERE state IN ('waiting', 'pending') AND expires_at IS NOT NULL;

CREATE TABLE compliance_checks (
    verification_id BLOB NOT NULL REFERENCES identity_verifications (id),
    position        INTEGER NOT NULL,
    check_type      TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('passed', 'failed', 'insufficient', 'inconclusive')),
    failure_codes   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (verification_id, position)
) WITHOUT ROWID;

CREATE TABLE compliance_decisions (
    verification_id BLOB NOT NULL REFERENCES identity_verifications (id),
    position        INTEGER NOT NULL,
    decision_type   TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('passed', 'failed', 'expired', 'invalidated')),
    failure_codes   TEXT NOT NULL DEFAULT '',
    expired_at      TEXT,
    PRIMARY KEY (verification_id, position)
) WITHOUT ROWID;
-- Passed decisions with an expiry, for the expiry tick.
CREATE INDEX compliance_decisions_expiring ON compliance_decisions (expired_at) WHERE state = 'passed' AND expired_at IS NOT NULL;

CREATE TABLE edd_evidence (
    id              BLOB PRIMARY KEY NOT NULL,
    verification_id BLOB NOT NULL REFERENCES identity_verifications (id),
    item            TEXT NOT NULL,
    reference       TEXT NOT NULL,
    description     TEXT,
    added_by        TEXT NOT NULL,
    added_at        TEXT NOT NULL
);
CREATE INDEX edd_evidence_by_case ON edd_evidence (verification_id, added_at);

CREATE TABLE case_notes (
    id              BLOB PRIMARY KEY NOT NULL,
    verification_id BLOB NOT NULL REFERENCES identity_verifications (id),
    author          TEXT NOT NULL,
    text            TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX case_notes_by_case ON case_notes (verification_id, created_at);

-- Decisions are appended, never edited: who decided what, when, why, on which evidence.
CREATE TABLE decisions (
    id              BLOB PRIMARY KEY NOT NULL,
    customer_id     BLOB NOT NULL REFERENCES customers (id),
    verification_id BLOB REFERENCES identity_verifications (id),
    kind            TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    reason          TEXT NOT NULL,
    failure_codes   TEXT NOT NULL DEFAULT '',
    evidence        TEXT NOT NULL DEFAULT '',
    decided_by      TEXT NOT NULL,
    decided_at      TEXT NOT NULL
);
CREATE INDEX decisions_by_customer ON decisions (customer_id, decided_at);
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions are append-only: they cannot be updated');
END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions are append-only: they cannot be deleted');
END;

-- Every perform-KYC attempt and every provider KYC result, kept.
CREATE TABLE kyc_results (
    id                 BLOB PRIMARY KEY NOT NULL,
    customer_id        BLOB NOT NULL REFERENCES customers (id),
    action             TEXT NOT NULL,
    status             TEXT NOT NULL,
    verification_level TEXT,
    provider           TEXT,
    provider_reference TEXT,
    response_code      TEXT,
    reason_codes       TEXT NOT NULL DEFAULT '',
    questions          TEXT NOT NULL DEFAULT '[]',
    detail             TEXT NOT NULL DEFAULT '{}',
    actor              TEXT NOT NULL,
    created_at         TEXT NOT NULL
);
CREATE INDEX kyc_results_by_customer ON kyc_results (customer_id, created_at);

-- Risk assessments with each factor's contribution; the latest is in customers.risk_rating.
CREATE TABLE risk_assessments (
    id          BLOB PRIMARY KEY NOT NULL,
    customer_id BLOB NOT NULL REFERENCES customers (id),
    rating      TEXT NOT NULL,
    score       INTEGER NOT NULL,
    factors     TEXT NOT NULL,
    assessed_at TEXT NOT NULL
);
CREATE INDEX risk_assessments_by_customer ON risk_assessments (customer_id, assessed_at);

-- The firm's policy, one JSON document per key.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
