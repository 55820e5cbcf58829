-- The dashboard at a million customers: counting customers by state scanned the whole state
-- index (a third of a second, more when cold), and aging the open cases read every open case's
-- row (a second). Counts by state are kept exact by triggers on every write, and the open cases
-- get a covering index with what the age chart groups by.
CREATE TABLE customer_state_counts (
    state TEXT PRIMARY KEY NOT NULL,
    n     INTEGER NOT NULL CHECK (n >= 0)
) WITHOUT ROWID;

INSERT INTO customer_state_counts (state, n) SELECT state, count(*) FROM customers GROUP BY state;

CREATE TRIGGER customer_state_counts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_state_counts (state, n) VALUES (new.state, 1)
        ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER customer_state_counts_update AFTER UPDATE OF state ON customers WHEN old.state <> new.state BEGIN
    UPDATE customer_state_counts SET n = n - 1 WHERE state = old.state;
    INSERT INTO customer_state_counts (state, n) VALUES (new.state, 1)
        ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER customer_state_counts_delete AFTER DELETE ON customers BEGIN
    UPDATE customer_state_counts SET n = n - 1 WHERE state = old.state;
END;

CREATE INDEX identity_verifications_open_age
    ON identity_verifications (method, verification_type, created_at, state)
    WHERE state IN ('storing', 'waiting', 'pending', 'reviewing');
