-- The first schema: customers with everything the verify gate reads, and the append-only audit
-- trail. Ids are 16-byte UUIDs (v7, so time-ordered); times are RFC 3339 UTC text with a fixed
-- width so that text order is time order; dates are YYYY-MM-DD; money and percentages are
-- decimal text, never REAL.

CREATE TABLE customers (
    id                       BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    kind                     TEXT NOT NULL CHECK (kind IN ('individual', 'business')),
    ref_id                   TEXT NOT NULL UNIQUE,
    state                    TEXT NOT NULL
                             CHECK (state IN ('pending', 'verified', 'active', 'rejected', 'withdrawn', 'closed')),
    verification_level       TEXT CHECK (verification_level IN ('partial', 'full')),
    state_changed_at         TEXT NOT NULL,
    display_name             TEXT NOT NULL,
    is_merchant              INTEGER NOT NULL DEFAULT 0 CHECK (is_merchant IN (0, 1)),
    tax_details_not_required INTEGER NOT NULL DEFAULT 0 CHECK (tax_details_not_required IN (0, 1)),
    last_kyc_refresh_date    TEXT,
    metadata                 TEXT NOT NULL DEFAULT '{}',
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL,
    CHECK ((state IN ('verified', 'active')) = (verification_level IS NOT NULL))
);
-- `customer list --state S` pages newest first within a state.
CREATE INDEX customers_by_state ON customers (state, id);

CREATE TABLE persons (
    customer_id            BLOB PRIMARY KEY NOT NULL REFERENCES customers (id),
    first_name             TEXT NOT NULL,
    middle_name            TEXT,
    last_name              TEXT NOT NULL,
    date_of_birth          TEXT NOT NULL,
    country_of_citizenship TEXT,
    country_of_birth       TEXT,
    occupation             TEXT
);

CREATE TABLE institutions (
    customer_id            BLOB PRIMARY KEY NOT NULL REFERENCES customers (id),
    legal_name             TEXT NOT NULL,
    doing_business_as_name TEXT,
    incorporation_date     TEXT,
    country_of_formation   TEXT NOT NULL,
    industry_type          TEXT,
    legal_entity_type      TEXT,
    website                TEXT,
    business_description   TEXT
);

CREATE TABLE institution_members (
    id                   BLOB PRIMARY KEY NOT NULL,
    customer_id          BLOB NOT NULL REFERENCES customers (id),
    position             INTEGER NOT NULL,
    first_name           TEXT NOT NULL,
    last_name            TEXT NOT NULL,
    title                TEXT,
    roles                TEXT NOT NULL,
    ownership_percentage TEXT,
    date_of_birth        TEXT,
    is_control_person    INTEGER NOT NULL CHECK (is_control_person IN (0, 1)),
    person_customer_id   BLOB REFERENCES customers (id)
);
CREATE INDEX institution_members_by_customer ON institution_members (customer_id, position);
CREATE INDEX institution_members_by_person ON institution_members (person_customer_id)
    WHERE person_customer_id IS NOT NULL;

CREATE TABLE addresses (
    id               BLOB PRIMARY KEY NOT NULL,
    customer_id      BLOB NOT NULL REFERENCES customers (id),
    position         INTEGER NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('residential', 'business', 'registered', 'mailing')),
    is_primary       INTEGER NOT NULL CHECK (is_primary IN (0, 1)),
    street_address   TEXT NOT NULL,
    street_address_2 TEXT,
    city             TEXT NOT NULL,
    state            TEXT,
    postal_code      TEXT,
    country          TEXT NOT NULL
);
CREATE INDEX addresses_by_customer ON addresses (customer_id, position);
-- At most one primary address per customer.
CREATE UNIQUE INDEX addresses_one_primary ON addresses (customer_id) WHERE is_primary = 1;

CREATE TABLE contacts (
    id                  BLOB PRIMARY KEY NOT NULL,
    customer_id         BLOB NOT NULL REFERENCES customers (id),
    position            INTEGER NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('email', 'mobile')),
    value               TEXT NOT NULL,
    verification_method TEXT CHECK (verification_method IN ('code', 'in_person', 'document')),
    verified_at         TEXT,
    CHECK ((verification_method IS NULL) = (verified_at IS NULL))
);
CREATE INDEX contacts_by_customer ON contacts (customer_id, position);

CREATE TABLE identity_documents (
    id              BLOB PRIMARY KEY NOT NULL,
    customer_id     BLOB NOT NULL REFERENCES customers (id),
    position        INTEGER NOT NULL,
    document_type   TEXT NOT NULL,
    number          TEXT NOT NULL,
    issuing_country TEXT NOT NULL,
    issued_on       TEXT,
    expires_on      TEXT,
    status          TEXT NOT NULL CHECK (status IN ('active', 'inactive'))
);
CREATE INDEX identity_documents_by_customer ON identity_documents (customer_id, position);

CREATE TABLE document_files (
    document_id BLOB NOT NULL REFERENCES identity_documents (id),
    position    INTEGER NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('front', 'back', 'face', 'other')),
    reference   TEXT NOT NULL,
    PRIMARY KEY (document_id, position)
) WITHOUT ROWID;

CREATE TABLE tax_details (
    id          BLOB PRIMARY KEY NOT NULL,
    customer_id BLOB NOT NULL REFERENCES customers (id),
    position    INTEGER NOT NULL,
    tax_id_type TEXT NOT NULL CHECK (tax_id_type IN ('SSN', 'ITIN', 'EIN', 'OTHER')),
    tax_id      TEXT NOT NULL,
    country     TEXT NOT NULL
);
CREATE INDEX tax_details_by_customer ON tax_details (customer_id, position);

CREATE TABLE due_diligence (
    customer_id             BLOB PRIMARY KEY NOT NULL REFERENCES customers (id),
    source_of_funds         TEXT,
    source_of_wealth        TEXT,
    purpose_of_account      TEXT,
    expected_activity_level TEXT CHECK (expected_activity_level IN ('LOW', 'MEDIUM', 'HIGH'))
);

-- Controls in force. Lifting a control sets removed_at; the row stays as history.
CREATE TABLE controls (
    id           BLOB PRIMARY KEY NOT NULL,
    customer_id  BLOB NOT NULL REFERENCES customers (id),
    control_type TEXT NOT NULL CHECK (control_type IN ('dormant', 'frozen', 'closed', 'denied')),
    set_by       TEXT NOT NULL CHECK (set_by IN ('firm', 'admin')),
    reason_code  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    removed_at   TEXT
);
CREATE INDEX controls_in_force ON controls (customer_id) WHERE removed_at IS NULL;

-- The audit trail: appended in the same transaction as the change it records, never edited.
CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY,
    id          BLOB NOT NULL UNIQUE,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id   BLOB NOT NULL,
    reason      TEXT,
    summary     TEXT NOT NULL
);
CREATE INDEX audit_events_by_entity ON audit_events (entity_id, seq);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only: they cannot be updated');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only: they cannot be deleted');
END;
