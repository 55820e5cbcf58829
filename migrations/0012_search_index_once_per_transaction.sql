-- The search index is written once per changed customer and transaction, at the end of it,
-- instead of by every statement that changes a name, an email or a document number.
--
-- The triggers of 0004 wrote customer_search themselves: a customer created with an email and
-- a document was indexed three times (its row, then deleted and indexed again for each child),
-- and SQLite gives a virtual table a savepoint for every statement that keeps a statement
-- journal (any statement with triggers), at which FTS5 writes its pending terms to disk as a new
-- segment and merges segments. Creating one customer cost three segment writes and their
-- merges: a quarter of an import's time, and as much of `dev generate`'s.
--
-- Now the triggers only note which customers changed, in customer_search_pending, and the
-- store indexes those once, just before the transaction commits (dossier-store: Store::write,
-- the bulk loader, and Store::open for anything a writer outside the store left noted), so the
-- index is as current as before at every commit and a batch of customers is one segment.
-- Deleting a customer still removes its entry at once.

CREATE TABLE customer_search_pending (
    customer_rowid INTEGER PRIMARY KEY NOT NULL,
    -- 1 for a customer created since the index was last brought up to date: it has no entry to
    -- remove before it is indexed.
    is_new         INTEGER NOT NULL CHECK (is_new IN (0, 1))
);

DROP TRIGGER customer_search_insert;
DROP TRIGGER customer_search_update;
DROP TRIGGER customer_search_delete;
DROP TRIGGER customer_search_contact_insert;
DROP TRIGGER customer_search_contact_update;
DROP TRIGGER customer_search_contact_delete;
DROP TRIGGER customer_search_document_insert;
DROP TRIGGER customer_search_document_update;
DROP TRIGGER customer_search_document_delete;

CREATE TRIGGER customer_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_search_pending (customer_rowid, is_new) VALUES (new.rowid, 1)
        ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER customer_search_update AFTER UPDATE OF display_name, ref_id ON customers BEGIN
    INSERT INTO customer_search_pending (customer_rowid, is_new) VALUES (new.rowid, 0)
        ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER customer_search_delete AFTER DELETE ON customers BEGIN
    DELETE FROM customer_search_pending WHERE customer_rowid = old.rowid;
    DELETE FROM customer_search WHERE rowid = old.rowid;
END;

CREATE TRIGGER customer_search_contact_insert AFTER INSERT ON contacts WHEN new.kind = 'email' BEGIN
    INSERT INTO customer_search_pending (customer_rowid, is_new)
        SELECT rowid, 0 FROM customers WHERE id = new.customer_id ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER customer_search_contact_update AFTER UPDATE OF value, kind ON contacts BEGIN
    INSERT INTO customer_search_pending (customer_rowid, is_new)
        SELECT rowid, 0 FROM customers WHERE id = new.customer_id ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER customer_search_contact_delete AFTER DELETE ON contacts WHEN old.kind = 'email' BEGIN
    INSERT INTO customer_search_pending (customer_rowid, is_new)
        SELECT rowid, 0 FROM customers WHERE id = old.customer_id ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER customer_search_document_insert AFTER INSERT ON identity_documents BEGIN
    INSERT INTO customer_search_pending (customer_rowid, is_new)
        SELECT rowid, 0 FROM customers WHERE id = new.customer_id ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER customer_search_document_update AFTER UPDATE OF number ON identity_documents BEGIN
    INSERT INTO customer_search_pending (customer_rowid, is_new)
        SELECT rowid, 0 FROM customers WHERE id = new.customer_id ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER customer_search_document_delete AFTER DELETE ON identity_documents BEGIN
    INSERT INTO customer_search_pending (customer_rowid, is_new)
        SELECT rowid, 0 FROM customers WHERE id = old.customer_id ON CONFLICT DO NOTHING;
END;
