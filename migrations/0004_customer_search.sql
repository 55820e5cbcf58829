-- Global search over a customer's name, reference id, email addresses and identity document
-- numbers: the search box of the customers table and the top bar. A contentless FTS5 index (no
-- copy of the text, only its tokens) keyed by the customers table's rowid; words are matched by
-- prefix ('2 3' keeps prefix indexes for short prefixes so the first keystrokes stay fast at a
-- million rows). Triggers keep it in step with every write, so no code path can forget it.
CREATE VIRTUAL TABLE customer_search USING fts5 (
    display_name, ref_id, emails, documents,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);

INSERT INTO customer_search (rowid, display_name, ref_id, emails, documents)
SELECT c.rowid, c.display_name, c.ref_id, coalesce((SELECT group_concat(e.value, ' ') FROM contacts e WHERE e.customer_id = c.id AND e.kind = 'email'), ''), coalesce((SELECT group_concat(d.number, ' ') FROM identity_documents d WHERE d.customer_id = c.id), '')
FROM customers c;

CREATE TRIGGER customer_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_search (rowid, display_name, ref_id, emails, documents)
    VALUES (new.rowid, new.display_name, new.ref_id, '', '');
END;

CREATE TRIGGER customer_search_update AFTER UPDATE OF display_name, ref_id ON customers BEGIN
    DELETE FROM customer_search WHERE rowid = (SELECT rowid FROM customers WHERE id = new.id);
    INSERT INTO customer_search (rowid, display_name, ref_id, emails, documents)
    SELECT c.rowid, c.display_name, c.ref_id, coalesce((SELECT group_concat(e.value, ' ') FROM contacts e WHERE e.customer_id = c.id AND e.kind = 'email'), ''), coalesce((SELECT group_concat(d.number, ' ') FROM identity_documents d WHERE d.customer_id = c.id), '')
    FROM customers c WHERE c.id = new.id;
END;

CREATE TRIGGER customer_search_delete AFTER DELETE ON customers BEGIN
    DELETE FROM customer_search WHERE rowid = old.rowid;
END;

CREATE TRIGGER customer_search_contact_insert AFTER INSERT ON contacts WHEN new.kind = 'email' BEGIN
    DELETE FROM customer_search WHERE rowid = (SELECT rowid FROM customers WHERE id = new.customer_id);
    INSERT INTO customer_search (rowid, display_name, ref_id, emails, documents)
    SELECT c.rowid, c.display_name, c.ref_id, coalesce((SELECT group_concat(e.value, ' ') FROM contacts e WHERE e.customer_id = c.id AND e.kind = 'email'), ''), coalesce((SELECT group_concat(d.number, ' ') FROM identity_documents d WHERE d.customer_id = c.id), '')
    FROM customers c WHERE c.id = new.customer_id;
END;

CREATE TRIGGER customer_search_contact_update AFTER UPDATE OF value, kind ON contacts BEGIN
    DELETE FROM customer_search WHERE rowid = (SELECT rowid FROM customers WHERE id = new.customer_id);
    INSERT INTO customer_search (rowid, display_name, ref_id, emails, documents)
    SELECT c.rowid, c.display_name, c.ref_id, coalesce((SELECT group_concat(e.value, ' ') FROM contacts e WHERE e.customer_id = c.id AND e.kind = 'email'), ''), coalesce((SELECT group_concat(d.number, ' ') FROM identity_documents d WHERE d.customer_id = c.id), '')
    FROM customers c WHERE c.id = new.customer_id;
END;

CREATE TRIGGER customer_search_contact_delete AFTER DELETE ON contacts WHEN old.kind = 'email' BEGIN
    DELETE FROM customer_search WHERE rowid = (SELECT rowid FROM customers WHERE id = old.customer_id);
    INSERT INTO customer_search (rowid, display_name, ref_id, emails, documents)
    SELECT c.rowid, c.display_name, c.ref_id, coalesce((SELECT group_concat(e.value, ' ') FROM contacts e WHERE e.customer_id = c.id AND e.kind = 'email'), ''), coalesce((SELECT group_concat(d.number, ' ') FROM identity_documents d WHERE d.customer_id = c.id), '')
    FROM customers c WHERE c.id = old.customer_id;
END;

CREATE TRIGGER customer_search_document_insert AFTER INSERT ON identity_documents BEGIN
    DELETE FROM customer_search WHERE rowid = (SELECT rowid FROM customers WHERE id = new.customer_id);
    INSERT INTO customer_search (rowid, display_name, ref_id, emails, documents)
    SELECT c.rowid, c.display_name, c.ref_id, coalesce((SELECT group_concat(e.value, ' ') FROM contacts e WHERE e.customer_id = c.id AND e.kind = 'email'), ''), coalesce((SELECT group_concat(d.number, ' ') FROM identity_documents d WHERE d.customer_id = c.id), '')
    FROM customers c WHERE c.id = new.customer_id;
END;

CREATE TRIGGER customer_search_document_update AFTER UPDATE OF number ON identity_documents BEGIN
    DELETE FROM customer_search WHERE rowid = (SELECT rowid FROM customers WHERE id = new.customer_id);
    INSERT INTO customer_search (rowid, display_name, ref_id, emails, documents)
    SELECT c.rowid, c.display_name, c.ref_id, coalesce((SELECT group_concat(e.value, ' ') FROM contacts e WHERE e.customer_id = c.id AND e.kind = 'email'), ''), coalesce((SELECT group_concat(d.number, ' ') FROM identity_documents d WHERE d.customer_id = c.id), '')
    FROM customers c WHERE c.id = new.customer_id;
END;

CREATE TRIGGER customer_search_document_delete AFTER DELETE ON identity_documents BEGIN
    DELETE FROM customer_search WHERE rowid = (SELECT rowid FROM customers WHERE id = old.customer_id);
    INSERT INTO customer_search (rowid, display_name, ref_id, emails, documents)
    SELECT c.rowid, c.display_name, c.ref_id, coalesce((SELECT group_concat(e.value, ' ') FROM contacts e WHERE e.customer_id = c.id AND e.kind = 'email'), ''), coalesce((SELECT group_concat(d.number, ' ') FROM identity_documents d WHERE d.customer_id = c.id), '')
    FROM customers c WHERE c.id = old.customer_id;
END;
